/**
 * The parts of the driver contract other layers use instead of reaching into the driver:
 * addSecret() (the link registers device secrets) and publishLimits (at-publish checks a
 * report before queueing it), through the real driver and the link's ModemSupervisor.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadRejectedError } from '../../dist/modems/errors';
import { ModemSupervisor } from '../../dist/link/modem-supervisor';
import { useScriptedDrivers } from './scripted-modem';

const PASSWORD = 'c75150e6cb841417396819e4d2ee4358a416344a03a083e3a8567074ddec820a';
const { setup } = useScriptedDrivers();

describe('driver contract used by the link and the nodes', () => {
  it('addSecret(): a value registered after creation is replaced by *** in the trace of the command that carries it', async () => {
    const { modem, driver, trace } = setup();
    await driver.init();
    driver.addSecret(PASSWORD);
    await driver.open('iot.example.com', 1883, false);
    await driver.connect('myprod_dev01_0_0_2025041401', 'myprod_dev01', PASSWORD, 120, true);
    assert.ok(modem.lines.some((l) => l.includes(PASSWORD)), 'the modem received the password');
    assert.ok(!trace.some((t) => t.includes(PASSWORD)), trace.join('\n'));
    assert.ok(trace.some((t) => t.startsWith('>> AT+QMTCONN=') && t.includes('"***"')), trace.join('\n'));
  });

  it('publishLimits: the model, its payload and topic limits, and a check that refuses what the publish mode cannot carry', () => {
    const ec20 = setup('ec20').driver.publishLimits;
    assert.equal(ec20.model, 'ec20');
    assert.equal(ec20.maxPayloadBytes, 1548);
    assert.equal(ec20.topicBytes, 128);
    ec20.check('t', Buffer.alloc(1548, 0x1a), 1);
    assert.throws(() => ec20.check('t', Buffer.alloc(1549, 0x41), 1), PayloadRejectedError);
    const bc26 = setup('bc26').driver.publishLimits;
    assert.equal(bc26.maxPayloadBytes, 1024);
    assert.throws(() => bc26.check('t', Buffer.from([0x41, 0x1a]), 0), /Ctrl-Z/);
  });

  it('ModemSupervisor: secrets reach the driver it creates, and publishLimits is the current modem\'s (undefined while none is up)', async () => {
    const { driver, trace } = setup();
    const modem = new ModemSupervisor({ createDriver: () => driver, secrets: ['early-secret'] });
    const beforeReady = modem.publishLimits;
    assert.equal(beforeReady, undefined);
    await modem.ready();
    assert.equal(modem.publishLimits?.maxPayloadBytes, 1548);
    modem.addSecret(PASSWORD);
    await driver.open('iot.example.com', 1883, false);
    await driver.connect('early-secret', 'myprod_dev01', PASSWORD, 120, true);
    assert.ok(!trace.some((t) => t.includes(PASSWORD) || t.includes('early-secret')), trace.join('\n'));
    await modem.close();
  });
});
