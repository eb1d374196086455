"""
BERT's tokenizer written out plainly (the reference for the TypeScript one): special tokens
matched verbatim in the raw text, then BasicTokenizer (clean text, spaces around CJK
ideographs, optional lowercasing + accent stripping, split on whitespace and punctuation),
then WordPiece (greedy longest match first, `##` continuations, [UNK] for a word that cannot
be split or is longer than 100 characters), and `[CLS] A [SEP] (B [SEP])` with segment ids.
"""
import re
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
MAX_CHARS_PER_WORD = 100


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(ch):
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPieceTokenizer:
    def __init__(self, vocab, lowercase=True, strip_accents=None, chinese_chars=True):
        self.vocab = {token: i for i, token in enumerate(vocab)}
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.chinese_chars = chinese_chars
        specials = [s for s in SPECIALS if s in self.vocab]
        self.special_pattern = re.compile("(" + "|".join(re.escape(s) for s in specials) + ")")

    def normalize(self, text):
        out = []
        for ch in text:
            if ord(ch) == 0 or ord(ch) == 0xFFFD or is_control(ch):
                continue
            if is_whitespace(ch):
                out.append(" ")
            elif self.chinese_chars and is_cjk(ch):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = "".join(out)
        if self.strip_accents:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        if self.lowercase:
            text = text.lower()
        return text

    def basic_tokens(self, text):
        words = []
        for chunk in self.normalize(text).split():
            current = ""
            for ch in chunk:
                if is_punctuation(ch):
                    if current:
                        words.append(current)
                    words.append(ch)
                    current = ""
                else:
                    current += ch
            if current:
                words.append(current)
        return words

    def wordpiece(self, word):
        if len(word) > MAX_CHARS_PER_WORD:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = ("##" if start > 0 else "") + word[start:end]
                if piece in self.vocab:
                    found = piece
                    break
                end -= 1
            if found is None:
                return ["[UNK]"]
            pieces.append(found)
            start = end
        return pieces

    def tokenize(self, text):
        tokens = []
        for part in self.special_pattern.split(text):
            if part in SPECIALS and part in self.vocab:
                tokens.append(part)
            elif part:
                for word in self.basic_tokens(part):
                    tokens.extend(self.wordpiece(word))
        return tokens

    def encode(self, text_a, text_b=None):
        """(tokens, input_ids, token_type_ids) of [CLS] A [SEP] (B [SEP])."""
        tokens = ["[CLS]"] + self.tokenize(text_a) + ["[SEP]"]
        types = [0] * len(tokens)
        if text_b is not None:
            b = self.tokenize(text_b) + ["[SEP]"]
            tokens += b
            types += [1] * len(b)
        return tokens, [self.vocab[t] for t in tokens], types
