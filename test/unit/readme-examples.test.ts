import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** The README's code blocks of one language, as written. */
function codeBlocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]);
}

/**
 * The README's live clients are the files in examples/ that test/e2e/resuming-clients.ts runs
 * across a gateway restart: what a reader copies is what is tested.
 */
describe("the README's client examples are the tested files", () => {
  const blocks = codeBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'js');
  for (const file of ['live-conversions-node.js', 'live-conversions-browser.js']) {
    it(`README shows examples/${file} whole, as a js block`, () => {
      expect(blocks).toContain(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
    });
  }

  it('no other js block of the README subscribes with graphql-ws (an untested client)', () => {
    const examples = ['live-conversions-node.js', 'live-conversions-browser.js'].map((f) => fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'));
    expect(blocks.filter((b) => /createClient\(/.test(b) && !examples.includes(b))).toEqual([]);
  });
});
