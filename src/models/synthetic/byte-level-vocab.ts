/**
 * A byte-level GPT-2-style vocabulary for synthetic models: the 256 byte tokens (in GPT-2's
 * printable byte-to-unicode spelling), Qwen's special tokens, and, for full-size files, unused
 * `[PADi]` tokens up to Qwen3's 151 936 entries so the embedding table has the real size.
 * With no merges, text tokenizes to one token per UTF-8 byte — enough for plumbing tests.
 */

/** llama.cpp's token types. */
export const TokenType = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** Qwen2/3 special tokens at their real ids (151 643 on); `control` ones are never printed. */
const QWEN_SPECIALS: ReadonlyArray<readonly [string, boolean]> = [
  ['<|endoftext|>', true],
  ['<|im_start|>', true],
  ['<|im_end|>', true],
  ['<|object_ref_start|>', true],
  ['<|object_ref_end|>', true],
  ['<|box_start|>', true],
  ['<|box_end|>', true],
  ['<|quad_start|>', true],
  ['<|quad_end|>', true],
  ['<|vision_start|>', true],
  ['<|vision_end|>', true],
  ['<|vision_pad|>', true],
  ['<|image_pad|>', true],
  ['<|video_pad|>', true],
  ['<tool_call>', false],
  ['</tool_call>', false],
  ['<|fim_prefix|>', true],
  ['<|fim_middle|>', true],
  ['<|fim_suffix|>', true],
  ['<|fim_pad|>', true],
  ['<|repo_name|>', true],
  ['<|file_sep|>', true],
  ['<tool_response>', false],
  ['</tool_response>', false],
  ['<think>', false],
  ['</think>', false],
];
const QWEN_FIRST_SPECIAL_ID = 151_643;

/** GPT-2's map from a byte to the printable character that spells it in the vocabulary. */
export function gpt2ByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const out: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return out;
}

export interface ByteLevelVocab {
  tokens: string[];
  types: number[];
  ids: { endOfText: number; imStart: number; imEnd: number; visionStart: number; imagePad: number };
}

/**
 * @param padTo total vocabulary size; 0 puts the specials right after the bytes with no padding,
 *   151 936 (or more) puts them at Qwen's real ids.
 */
export function buildByteLevelVocab(padTo: number): ByteLevelVocab {
  const tokens = gpt2ByteToUnicode();
  const types: number[] = tokens.map(() => TokenType.NORMAL);
  const firstSpecial = padTo > 0 ? QWEN_FIRST_SPECIAL_ID : tokens.length;
  if (padTo > 0 && padTo < QWEN_FIRST_SPECIAL_ID + QWEN_SPECIALS.length) {
    throw new Error(`padTo=${padTo} is too small to hold Qwen's special tokens at their real ids`);
  }
  const pad = (upTo: number): void => {
    while (tokens.length < upTo) {
      tokens.push(`[PAD${tokens.length}]`);
      types.push(TokenType.UNUSED);
    }
  };
  pad(firstSpecial);
  for (const [text, control] of QWEN_SPECIALS) {
    tokens.push(text);
    types.push(control ? TokenType.CONTROL : TokenType.USER_DEFINED);
  }
  pad(padTo);
  const id = (text: string): number => tokens.indexOf(text, firstSpecial);
  return {
    tokens,
    types,
    ids: {
      endOfText: id('<|endoftext|>'),
      imStart: id('<|im_start|>'),
      imEnd: id('<|im_end|>'),
      visionStart: id('<|vision_start|>'),
      imagePad: id('<|image_pad|>'),
    },
  };
}
