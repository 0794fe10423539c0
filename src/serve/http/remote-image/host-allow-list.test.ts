import { describe, expect, it } from 'vitest';
import { hostAllowed } from './host-allow-list.js';

describe('hostAllowed', () => {
  const allow = ['images.example.com', '*.cdn.example.org', '203.0.113.7', '[2001:db8::7]'];

  it.each([
    ['images.example.com', true],
    ['IMAGES.Example.COM', true],
    ['images.example.com.', true], // the fully-qualified form
    ['a.cdn.example.org', true],
    ['a.b.cdn.example.org', true],
    ['203.0.113.7', true],
    ['[2001:db8::7]', true],
    ['2001:db8::7', true],
  ])('allows %s', (host, expected) => {
    expect(hostAllowed(host, allow)).toBe(expected);
  });

  it.each([
    'example.com',
    'evil-images.example.com',
    'images.example.com.evil.net',
    'cdn.example.org', // the wildcard's own apex is not below it
    'xcdn.example.org',
    'cdn.example.org.evil.net',
    '203.0.113.8',
    '',
  ])('refuses %s', (host) => {
    expect(hostAllowed(host, allow)).toBe(false);
  });

  it('allows nothing with an empty list, and a bare "*." matches nothing', () => {
    expect(hostAllowed('images.example.com', [])).toBe(false);
    expect(hostAllowed('example.com', ['*.'])).toBe(false);
  });
});
