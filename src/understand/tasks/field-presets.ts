/**
 * JSON Schemas for the documents people ask about most. Every value is a string or null: the model copies
 * what is printed ("¥5,000.00", "2024年3月1日") and normalisation happens downstream, where it can be tested.
 */
const text = { type: ['string', 'null'] } as const;

export const fieldPresets = {
  receipt: {
    type: 'object',
    properties: {
      company: text,
      address: text,
      date: text,
      total: text,
      currency: text,
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: text, quantity: text, price: text },
          required: ['name'],
        },
      },
    },
    required: ['company', 'date', 'total'],
  },
  invoice: {
    type: 'object',
    properties: {
      invoice_number: text,
      issue_date: text,
      seller: text,
      buyer: text,
      total_amount: text,
      tax_amount: text,
      currency: text,
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { description: text, quantity: text, amount: text },
          required: ['description'],
        },
      },
    },
    required: ['invoice_number', 'issue_date', 'seller', 'total_amount'],
  },
  contract: {
    type: 'object',
    properties: {
      title: text,
      parties: {
        type: 'array',
        items: { type: 'object', properties: { name: text, role: text }, required: ['name'] },
      },
      signing_date: text,
      effective_date: text,
      amount: text,
      currency: text,
      term: text,
    },
    required: ['parties', 'amount'],
  },
} as const satisfies Record<string, Record<string, unknown>>;

export type FieldPreset = keyof typeof fieldPresets;

export const isFieldPreset = (name: string): name is FieldPreset => Object.hasOwn(fieldPresets, name);
