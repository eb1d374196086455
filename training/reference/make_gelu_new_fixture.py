"""
Writes test/fixtures/checkpoints/gelu-new/: a BertForPreTraining checkpoint like
legacy-pretraining but with `hidden_act: gelu_new` (transformers' tanh-approximated GELU, in
the encoder's feed-forward layers and the MLM head transform), modern names, F32, with the
reference model's outputs in expected.json. test/unit/graph-variants.test.ts compiles it in
both graph variants and compares.

    /usr/bin/python3 training/reference/make_gelu_new_fixture.py     # from the repository root
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_reference import BertForPreTraining, Config, randomize_  # noqa: E402
from make_fixtures import ENGLISH_CASES, base_config, english_vocab, run_cases, stored_state, write_fixture  # noqa: E402
from wordpiece import WordPieceTokenizer  # noqa: E402


def main():
    torch.set_num_threads(1)
    english = english_vocab()
    uncased = WordPieceTokenizer(english, lowercase=True)
    config = base_config(len(english), "BertForPreTraining")
    config["hidden_act"] = "gelu_new"
    model = randomize_(BertForPreTraining(Config(config)).eval(), seed=505)
    state = stored_state(model, "F32")
    cases = run_cases(model, uncased, ENGLISH_CASES, "pretraining")
    write_fixture("gelu-new", config, english, state, "F32",
                  {"heads": {"pooler": True, "mlm": True, "nsp": True, "classifier_labels": 0}, "cases": cases})


if __name__ == "__main__":
    main()
