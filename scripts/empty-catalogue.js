// Preload for `node-red-dev validate` on machines that cannot reach catalogue.nodered.org.
// Usage: NODE_OPTIONS=--require=/abs/path/scripts/empty-catalogue.js node-red-dev validate -p . -o build/score.json
//
// Why: validate fetches the flow-library catalogue for P08 (package name clash) and N01 (node type
// clash). Offline that request fails with ENOTFOUND, the tool exits before writing any score and the
// rules that need only the npm registry (P06, P07, D03) are never reported. Answering catalogue URLs
// with an empty module list lets the run finish; P08 and N01 then pass vacuously, so check them online
// before a release. Every other URL (the npm registry) still goes to the network.
'use strict';
const path = require('node:path');

let devDir;
try {
  devDir = path.dirname(require.resolve('node-red-dev/package.json'));
} catch {
  // The preload also lands in child processes that have nothing to do with node-red-dev; stay inert there.
  devDir = undefined;
}

if (devDir !== undefined) {
  // node-red-dev pins its own axios (0.21); patch that copy, not whatever the project may have.
  const axios = require(require.resolve('axios', { paths: [devDir] }));
  const realGet = axios.get;
  axios.get = function getWithoutCatalogue(url, ...rest) {
    if (String(url).startsWith('https://catalogue.nodered.org/')) {
      return Promise.resolve({ status: 200, data: { modules: [] } });
    }
    return realGet.call(this, url, ...rest);
  };
}
