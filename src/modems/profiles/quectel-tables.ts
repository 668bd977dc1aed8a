/**
 * Result-code tables shared by the Quectel QMT* modules (EC2x, BG9x, BC2x all use the same
 * MQTT application note). Sources: docs/models/ec20.md and docs/iotda.md §1.8.
 */
import type { ResultTable } from '../profile';

export const QMTOPEN_RESULTS: ResultTable = {
  '-1': 'failed to open the network',
  '0': 'opened',
  '1': 'wrong parameter',
  '2': 'MQTT identifier is occupied (stale client; close it first)',
  '3': 'failed to activate PDP',
  '4': 'failed to parse the domain name (DNS)',
  '5': 'network connection error (disconnected)',
};

/** `+QMTCONN: <idx>,<result>[,<ret_code>]`: result. */
export const QMTCONN_RESULTS: ResultTable = {
  '0': 'packet sent and CONNACK received',
  '1': 'packet retransmission',
  '2': 'failed to send the packet',
};

/** MQTT 3.1.1 CONNACK return codes as IoTDA uses them (ret_code of +QMTCONN). */
export const CONNACK_CODES: ResultTable = {
  '0': 'connection accepted',
  '1': 'connection refused: unacceptable protocol version',
  '2': 'connection refused: identifier rejected (client id format, or keepalive outside 30-1200 s)',
  '3': 'connection refused: server unavailable',
  '4': 'connection refused: bad user name or password',
  '5': 'connection refused: not authorised (device frozen or not allowed)',
};

/** `+QMTSUB/+QMTUNS/+QMTPUB: <idx>,<mid>,<result>`. */
export const QMT_PACKET_RESULTS: ResultTable = {
  '0': 'sent successfully and ACK received',
  '1': 'packet retransmission',
  '2': 'failed to send the packet',
};

export const QMTSTAT_CODES: ResultTable = {
  '1': 'connection closed or reset by peer (also IoTDA dropping a duplicate connection)',
  '2': 'sending PINGREQ failed (keepalive timeout)',
  '3': 'sending CONNECT failed',
  '4': 'no CONNACK received',
  '5': 'connection closed after DISCONNECT',
  '6': 'repeated packet send failures',
  '7': 'link not working or server unavailable',
  '8': 'client closed actively',
};

export const QMT_CLOSE_RESULTS: ResultTable = {
  '-1': 'failed',
  '0': 'success',
};

/** `+CME ERROR: <n>` (AT+CMEE=1) including the TCP/IP range 550-574. */
export const CME_ERRORS: ResultTable = {
  '3': 'operation not allowed',
  '4': 'operation not supported',
  '10': 'SIM not inserted',
  '11': 'SIM PIN required',
  '12': 'SIM PUK required',
  '13': 'SIM failure',
  '14': 'SIM busy',
  '15': 'SIM wrong',
  '30': 'no network service',
  '31': 'network timeout',
  '50': 'incorrect parameters',
  '100': 'unknown error',
  // File commands (AT+QFUPL/QFLST/QFDEL), Quectel EC2x FILE AT Commands Manual, summary of error codes.
  '400': 'invalid input value',
  '401': 'larger than the size of the file',
  '402': 'read zero byte',
  '403': 'drive full',
  '405': 'file not found',
  '406': 'invalid file name',
  '407': 'file already exists',
  '409': 'failed to write the file',
  '410': 'failed to open the file',
  '411': 'failed to read the file',
  '413': 'too many files open',
  '414': 'the file is read-only',
  '416': 'invalid file descriptor',
  '417': 'failed to list the files',
  '418': 'failed to create the file',
  '419': 'failed to delete the file',
  '420': 'failed to get disk information',
  '421': 'no space left',
  '422': 'timed out waiting for the file data',
  '423': 'file too large',
  '425': 'invalid parameter',
  '426': 'file already open',
  '500': 'unknown error',
  '550': 'unknown TCP/IP error',
  '551': 'operation blocked',
  '552': 'invalid parameters',
  '553': 'memory not enough',
  '554': 'socket creation failed',
  '555': 'operation not supported',
  '556': 'socket bind failed',
  '557': 'socket listen failed',
  '558': 'socket write failed',
  '559': 'socket read failed',
  '560': 'socket accept failed',
  '561': 'PDP context opening failed',
  '562': 'PDP context closing failed',
  '563': 'socket identity has been used',
  '564': 'DNS busy',
  '565': 'DNS parse failed',
  '566': 'socket connect failed',
  '567': 'socket has been closed',
  '568': 'operation busy',
  '569': 'operation timeout',
  '570': 'PDP context broken down',
  '571': 'cancelled send',
  '572': 'operation not allowed',
  '573': 'APN not configured',
  '574': 'port busy',
};

/** `+CREG/+CGREG/+CEREG` stat. */
export const REGISTRATION_STATES: ResultTable = {
  '0': 'not registered, not searching',
  '1': 'registered, home network',
  '2': 'not registered, searching',
  '3': 'registration denied',
  '4': 'unknown (out of coverage)',
  '5': 'registered, roaming',
};
