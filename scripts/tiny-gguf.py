#!/usr/bin/env python3
"""A tiny Qwen2-architecture GGUF model for tests: the real Qwen2 tokenizer and chat template
(from the vocabulary file llama.cpp ships) with a 2-layer, 64-wide network made here.

  tiny-gguf.py GGUF_PY_DIR VOCAB.gguf OUT.gguf eos|random

- eos: every hidden state is the same constant vector and the output layer favours the end-of-text
  token, so each answer is an immediate, clean end_turn.
- random: random weights; it streams nonsense until max_tokens.
Needs numpy (gguf-py's own dependency)."""
import sys

import numpy as np

gguf_dir, vocab_path, out_path, mode = sys.argv[1:5]
sys.path.insert(0, gguf_dir)
from gguf import GGUFReader, GGUFValueType, GGUFWriter  # noqa: E402

# A long trained context: llama-server caps a slot's window at it, and the tests ask for big ones.
WIDTH, LAYERS, HEADS, FFN, CONTEXT = 64, 2, 4, 128, 1 << 22

vocab = GGUFReader(vocab_path)
writer = GGUFWriter(out_path, 'qwen2')
writer.add_name(f'tiny-qwen2-{mode}')
writer.add_context_length(CONTEXT)
writer.add_embedding_length(WIDTH)
writer.add_block_count(LAYERS)
writer.add_feed_forward_length(FFN)
writer.add_head_count(HEADS)
writer.add_head_count_kv(HEADS)
writer.add_rope_freq_base(1_000_000.0)
writer.add_layer_norm_rms_eps(1e-6)
writer.add_file_type(1)  # F16 for the two vocabulary-sized matrices, F32 for the rest

# The tokenizer and template, copied field by field from the vocabulary file.
for name, field in vocab.fields.items():
    if not (name.startswith('tokenizer.')):
        continue
    main = field.types[0]
    if main == GGUFValueType.ARRAY:
        writer.add_key_value(name, field.contents(), main, sub_type=field.types[-1])
    else:
        writer.add_key_value(name, field.contents(), main)

n_vocab = len(vocab.fields['tokenizer.ggml.tokens'].data)
eos = int(vocab.fields['tokenizer.ggml.eos_token_id'].contents())
rng = np.random.default_rng(7)


def weights(*shape: int, scale: float = 0.02) -> np.ndarray:
    if mode == 'eos':
        return np.zeros(shape, dtype=np.float32)
    return (rng.standard_normal(shape) * scale).astype(np.float32)


ones = np.ones(WIDTH, dtype=np.float32)
embd = np.ones((n_vocab, WIDTH), dtype=np.float32) if mode == 'eos' else weights(n_vocab, WIDTH, scale=1.0)
writer.add_tensor('token_embd.weight', embd.astype(np.float16))
for i in range(LAYERS):
    p = f'blk.{i}.'
    writer.add_tensor(p + 'attn_norm.weight', ones)
    for t in ('q', 'k', 'v'):
        writer.add_tensor(p + f'attn_{t}.weight', weights(WIDTH, WIDTH))
        writer.add_tensor(p + f'attn_{t}.bias', np.zeros(WIDTH, dtype=np.float32))
    # eos: zero output projections, so the residual stream stays the constant embedding.
    writer.add_tensor(p + 'attn_output.weight', weights(WIDTH, WIDTH))
    writer.add_tensor(p + 'ffn_norm.weight', ones)
    writer.add_tensor(p + 'ffn_gate.weight', weights(FFN, WIDTH))
    writer.add_tensor(p + 'ffn_up.weight', weights(FFN, WIDTH))
    writer.add_tensor(p + 'ffn_down.weight', weights(WIDTH, FFN))
writer.add_tensor('output_norm.weight', ones)
out = weights(n_vocab, WIDTH, scale=1.0)
if mode == 'eos':
    out[eos] = 1.0  # the normalised constant state is all ones: end-of-text scores WIDTH, the rest 0
writer.add_tensor('output.weight', out.astype(np.float16))

writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
