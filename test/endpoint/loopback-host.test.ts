// Which Host and Origin values name loopback, as a table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, isLoopbackOrigin } from '../../daemon/endpoint/loopback-host.js';

test('only 127.0.0.1, localhost or [::1] with an optional port of digits is a loopback Host', () => {
  for (const h of ['127.0.0.1', '127.0.0.1:8000', 'localhost', 'LOCALHOST:8000', '[::1]', '[::1]:8000']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['[::1]evil.com', '[::1].evil.com', '[::1]:8000.evil.com', 'localhost.evil.com', 'localhost:8000@evil.com',
    'localhost:', 'localhost:80a', '127.0.0.1:123456', '::1', '127.0.0.2', 'evil.com', ' localhost', '']) assert.ok(!isLoopbackHost(h), h);
});

test('only an http or https page on a loopback host is a loopback Origin', () => {
  for (const o of ['http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:5173']) assert.ok(isLoopbackOrigin(o), o);
  for (const o of ['null', 'http://[::1]evil.com', 'http://[::1].evil.com', 'http://localhost.evil.com', 'file://localhost',
    'http://localhost/', 'http://evil.com', 'localhost:3000']) assert.ok(!isLoopbackOrigin(o), o);
});
