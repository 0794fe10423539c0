import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/eval/ocr/datasets.js';
import { ZH_PASSAGES } from '../../src/eval/zh/passages.js';
import { renderTextPage } from '../../src/eval/zh/render-page.js';

/** A benchmark page: an image on disk, the set it belongs to, and its GT text in reading order. */
export interface BenchPage {
  id: string;
  set: string;
  imagePath: string;
  text: string;
}

/** An English business letter written for the benchmark, drawn on a 300-dpi A4 page. */
export const ENGLISH_LETTER = [
  'Harbour Street Office Supplies Ltd.',
  'Unit 4, Riverside Business Park, Leeds LS11 5QT',
  'Invoice No. INV-2024-0419 Date: 19 April 2024',
  'Bill to: Northwind Traders, 221 Market Street, Bristol BS1 4DJ',
  'Dear Ms. Carter,',
  'Thank you for your order of 12 April. Please find below the items delivered on 18 April 2024 to your ' +
    'warehouse in Bristol, together with the amounts due under our agreement of 2 January 2024.',
  'Item Quantity Unit price Amount',
  'A4 copier paper, 80 gsm 40 boxes 21.50 860.00',
  'Laser toner cartridge, black 12 64.90 778.80',
  'Archive boxes, large 150 2.35 352.50',
  'Subtotal 1,991.30 VAT at 20% 398.26 Total due GBP 2,389.56',
  'Payment is due within 30 days of the invoice date. Please quote the invoice number with your payment ' +
    'to account 41-22-07 12345678. Late payments may be charged interest at 4% above the base rate.',
  'If you have any questions about this invoice, call our accounts team on 0113 496 0321 or write to ' +
    'accounts@harbourstreet.example.',
  'Yours sincerely,',
  'Daniel Hughes, Accounts Manager',
];

/** A4 at 300 dpi with 2.5 cm margins; 42 px is about 10 pt. */
export const A4_300DPI = { width: 2480, height: 3508, margin: 295, fontSize: 42 };

/**
 * The fixed benchmark set: the first `perDataset` pages (by id) of SROIE and FUNSD dev when `evalRoot`
 * holds them, plus two synthetic 300-dpi A4 pages (an English letter, a Chinese contract) drawn into `scratch`.
 */
export async function benchPages(evalRoot: string, scratch: string, perDataset = 3): Promise<BenchPage[]> {
  const pages: BenchPage[] = [];
  for (const name of ['sroie', 'funsd']) {
    const dir = join(evalRoot, name, 'dev');
    if (!existsSync(dir)) continue;
    for (const p of loadDataset(dir).pages.slice(0, perDataset)) {
      pages.push({ id: `${name}/${p.id}`, set: name, imagePath: p.imagePath, text: p.text });
    }
  }
  mkdirSync(scratch, { recursive: true });
  const synthetic = [
    { id: 'a4-en', set: 'synthetic-en', fontFamily: 'DejaVu Serif', paragraphs: ENGLISH_LETTER },
    {
      id: 'a4-zh',
      set: 'synthetic-zh',
      fontFamily: 'Noto Sans CJK SC',
      paragraphs: [...ZH_PASSAGES[0]!.paragraphs, ...ZH_PASSAGES[2]!.paragraphs],
    },
  ];
  for (const s of synthetic) {
    const page = await renderTextPage({ ...A4_300DPI, fontFamily: s.fontFamily, paragraphs: s.paragraphs });
    const imagePath = join(scratch, `${s.id}.png`);
    writeFileSync(imagePath, page.image);
    pages.push({ id: s.id, set: s.set, imagePath, text: page.lines.map((l) => l.text).join('\n') });
  }
  return pages;
}
