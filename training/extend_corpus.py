"""
Extends an existing corpus with the documents of sources added later, taken from a newer
corpus.py run, leaving the existing corpus (and so its train / held-out split) byte for byte
as it was. Used because man pages change with what is installed on the machine: a full re-run
of corpus.py months later would sample different pages, and the two models could no longer be
compared on the same held-out documents.

    python3 training/extend_corpus.py --base=training/data/corpus --new=training/data/corpus-v2 \
        --from_source=21 --out=training/data/corpus-v3

--from_source=K: documents of source index K and above (stats.json order of the new run) are
appended, each to the split the new run put it in. Standard library only.
"""
import json
import os
import sys


def read_documents(folder, split):
    with open(os.path.join(folder, f"{split}.txt"), encoding="utf-8") as f:
        documents = [d.strip("\n") for d in f.read().split("\n\n") if d.strip()]
    with open(os.path.join(folder, f"{split}.doc_sources.txt")) as f:
        sources = [int(s) for s in f.read().split()]
    if len(documents) != len(sources):
        sys.exit(f"{folder}/{split}: {len(documents)} documents but {len(sources)} source indices")
    return documents, sources


def main():
    args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    missing = {"base", "new", "from_source", "out"} - set(args)
    if missing:
        sys.exit(f"missing option(s): {sorted(missing)}\n{__doc__}")
    first_new = int(args["from_source"])
    os.makedirs(args["out"], exist_ok=True)
    with open(os.path.join(args["base"], "stats.json")) as f:
        stats = json.load(f)
    with open(os.path.join(args["new"], "stats.json")) as f:
        new_stats = json.load(f)
    if len(stats["sources"]) != first_new:
        sys.exit(f"--from_source={first_new} but the base corpus has {len(stats['sources'])} sources")
    for split in ("train", "heldout"):
        documents, sources = read_documents(args["base"], split)
        new_documents, new_sources = read_documents(args["new"], split)
        added = [(d, s) for d, s in zip(new_documents, new_sources) if s >= first_new]
        with open(os.path.join(args["out"], f"{split}.txt"), "w", encoding="utf-8") as f:
            for d in documents + [d for d, _ in added]:
                f.write(d + "\n\n")
        with open(os.path.join(args["out"], f"{split}.doc_sources.txt"), "w") as f:
            f.write("".join(f"{s}\n" for s in sources + [s for _, s in added]))
        print(f"{split}: {len(documents)} documents + {len(added)} from the added sources")
        if split == "heldout":
            stats["heldout_documents"] = len(documents) + len(added)
    for source in new_stats["sources"][first_new:]:
        stats["sources"].append(source)
        stats["documents"] += source["documents"]
        stats["words"] += source["words"]
    stats["extended_from"] = {"base": args["base"], "new": args["new"], "from_source": first_new}
    with open(os.path.join(args["out"], "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print(f"total {stats['documents']} documents, {stats['words']} words -> {args['out']}")


if __name__ == "__main__":
    main()
