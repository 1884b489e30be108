import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../src/app/supply/model-files.js';
import { tempDir } from '../helpers/temp.js';

/** What a Hugging Face-style model directory holds, and what the scanner makes of each file. */
describe('files in a model directory', () => {
  const dir = tempDir('arbiter-model-dir-');
  const files: Record<string, string | Uint8Array> = {
    'config.json': '{"architectures": ["TinyModel"], "hidden_size": 8}\n',
    'tokenizer.json': '{"version": "1.0", "model": {"type": "BPE"}}\n',
    'tokenizer_config.json': '{"model_max_length": 512}\n',
    'generation_config.yaml': 'max_new_tokens: 32\n',
    'vocab.txt': '[PAD]\n[UNK]\nhello\n',
    'merges.txt': '#version: 0.2\nh e\n',
    'README.md': 'import numpy as np — a model card that starts like code\n',
    LICENSE: 'Apache License 2.0\n',
    'tokenizer.model': new Uint8Array([0x0a, 0x0b, 0x0a, 0x05, 0x3c, 0x75, 0x6e, 0x6b, 0x3e, 0x00, 0x01]),
    'modeling_tiny.py': 'import torch\n\nclass TinyModel(torch.nn.Module):\n    pass\n',
    'weights.bin': new Uint8Array([0x13, 0x37, 0x00, 0xff, 0x42, 0x42, 0x00, 0x01, 0x02, 0x03]),
    'special_tokens.yaml': 'cos\nsystem\n(Vid\ntR.',
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const scan = (name: string) => scanFile(join(dir, name), name);

  it('records tokenizer, config, text and Markdown files as data, with no finding', async () => {
    for (const name of [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.yaml',
      'vocab.txt',
      'merges.txt',
      'README.md',
      'LICENSE',
      'tokenizer.model',
    ])
      expect(await scan(name), name).toMatchObject({ format: 'data', findings: [] });
  });

  it('makes files it cannot identify an unknown-format finding, medium by default', async () => {
    for (const name of ['modeling_tiny.py', 'weights.bin']) {
      const result = await scan(name);
      expect(result.format, name).toBe('unknown');
      expect(result.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual(['medium:unknown-format']);
    }
    const strict = await scanFile(join(dir, 'weights.bin'), 'weights.bin', { unknownSeverity: 'high' });
    expect(strict.findings[0]?.severity).toBe('high');
  });

  it('looks at the content first: a pickle named like a config file is a pickle', async () => {
    const result = await scan('special_tokens.yaml');
    expect(result.format).toBe('pickle');
    expect(result.findings.map((f) => `${f.severity}:${f.global}`)).toEqual(['critical:os.system']);
  });
});
