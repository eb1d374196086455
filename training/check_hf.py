"""
Checks an exported checkpoint against Hugging Face transformers' BertForPreTraining: the
folder must load with no missing or unexpected weights (decoder tied) and give the same MLM
and NSP logits as training/model.py. Needs `transformers` (present on the GPU machine).

    python3 training/check_hf.py training/checkpoints/bert-lens-8x512-uncased
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import from_pretrained  # noqa: E402


def main(folder):
    from transformers import BertForPreTraining
    theirs, info = BertForPreTraining.from_pretrained(folder, output_loading_info=True)
    print("transformers loading info:", {k: v for k, v in info.items() if v})
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    ours = from_pretrained(folder)
    theirs.eval(), ours.eval()
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 30000, (4, 64), generator=g)
    ids[:, 0], ids[:, 30], ids[:, 63] = 101, 102, 102
    types = torch.zeros_like(ids)
    types[:, 31:] = 1
    attn = torch.ones_like(ids)
    attn[1, 40:] = 0
    positions = torch.arange(64)[None, :].expand(4, -1)
    with torch.no_grad():
        out = theirs(input_ids=ids, token_type_ids=types, attention_mask=attn)
        mlm, nsp, _ = ours(ids, types, attn, positions)
    keep = attn.bool()
    d_mlm = (out.prediction_logits - mlm)[keep].abs().max().item()
    d_nsp = (out.seq_relationship_logits - nsp).abs().max().item()
    print(f"max |difference| vs transformers: MLM logits {d_mlm:.2e}, NSP logits {d_nsp:.2e}")
    assert d_mlm < 1e-3 and d_nsp < 1e-3, "logits differ from transformers"
    print("OK: identical to transformers' BertForPreTraining")


if __name__ == "__main__":
    main(sys.argv[1])
