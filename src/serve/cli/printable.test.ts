import { describe, expect, it } from 'vitest';
import { printable } from './printable.js';

describe('printable', () => {
  it('shows ANSI escape sequences as text instead of sending them to the terminal', () => {
    expect(printable('scan\x1b[2J\x1b[31mred.pdf')).toBe('scan\\x1b[2J\\x1b[31mred.pdf');
  });

  it('keeps a name with a newline on one table row', () => {
    expect(printable('a\nb\r\tc.pdf')).toBe('a\\nb\\r\\tc.pdf');
  });

  it('makes C1 controls, DEL and bidirectional overrides visible', () => {
    expect(printable('\u009b31m\u007f invoice\u202Efdp.exe')).toBe('\\x9b31m\\x7f invoice\\u202efdp.exe');
  });

  it('leaves ordinary names alone, Chinese and emoji included', () => {
    for (const name of ['scan 1.pdf', '增值税发票.png', 'Résumé – final 🙂.pdf'])
      expect(printable(name)).toBe(name);
  });
});
