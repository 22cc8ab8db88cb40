import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseDevice, deviceFromHost, registrationLine } from '../../src/client/device.js';
import { isValidName } from '../../src/protocol/names.js';

describe('devices: the login line and the device it names', () => {
  test('#NAME@DEVICE PASSWORD with a password and a device; #NAME PASSWORD without a device; #NAME without a password, device or not', () => {
    assert.equal(registrationLine('alice', 'pw', 'laptop'), '#alice@laptop pw');
    assert.equal(registrationLine('alice', 'two words', 'my_phone-2'), '#alice@my_phone-2 two words');
    assert.equal(registrationLine('alice', 'pw', undefined), '#alice pw');
    assert.equal(registrationLine('alice', undefined, 'laptop'), '#alice', 'a server that checks no password gets no device');
    assert.equal(registrationLine('alice', undefined, undefined), '#alice');
  });

  test('the host name made a device name: other characters become -, cut to 32, none when empty', () => {
    assert.equal(deviceFromHost('laptop'), 'laptop');
    assert.equal(deviceFromHost('Alices-MacBook.local'), 'Alices-MacBook-local');
    assert.equal(deviceFromHost('my laptop (2)'), 'my-laptop--2-');
    assert.equal(deviceFromHost('büro_1'), 'b-ro_1');
    assert.equal(deviceFromHost('a\u{1F600}b'), 'a-b', 'a character outside the BMP is one -');
    const long = deviceFromHost(`${'x'.repeat(40)}.example.org`);
    assert.equal(long, 'x'.repeat(32));
    assert.equal(deviceFromHost(''), undefined);
    for (const host of ['laptop', 'Alices-MacBook.local', 'my laptop (2)', 'büro_1', 'a\u{1F600}b', `${'y'.repeat(99)}`, '...', ' ']) {
      const device = deviceFromHost(host);
      assert.ok(device !== undefined && isValidName(device), `${JSON.stringify(host)} gives a valid device: ${device}`);
    }
  });

  test('--device wins; --no-device is none; without either, the host name on a terminal and none in scripting mode', () => {
    assert.equal(chooseDevice('phone', true, 'laptop.local'), 'phone');
    assert.equal(chooseDevice('phone', false, 'laptop.local'), 'phone', 'scripting mode, when asked for');
    assert.equal(chooseDevice(false, true, 'laptop.local'), undefined);
    assert.equal(chooseDevice(false, false, 'laptop.local'), undefined);
    assert.equal(chooseDevice(undefined, true, 'laptop.local'), 'laptop-local');
    assert.equal(chooseDevice(undefined, true, ''), undefined, 'no host name, no device');
    assert.equal(chooseDevice(undefined, false, 'laptop.local'), undefined);
  });
});
