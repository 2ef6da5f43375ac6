#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that every section citation in the tree resolves inside the repository.

Rules (doc/kernel-model.md explains the citation forms):
  * A section mark followed by a number (e.g. 3.5, 10.9, 3.6.8) cites
    doc/kernel-model.md, unless a Markdown file is named right before it
    ("design.md <mark>6", "[design.md](design.md) <mark>6"): then it cites
    that file, which must be in the repository.
  * A citation resolves when the number is a numbered heading of the cited
    file ("### 3.5 ...") or a step label of doc/kernel-model.md
    ("- **Step 3.6.8** ..."). "<mark>3.6 step 8" means 3.6.8; ranges such as
    "<mark>10.7-8", "<mark>5.4-<mark>5.6" and "step 9-11" check both ends.
  * Old forms are refused, with the form to write instead: "trap N" or
    "trap 10.N" without a mark ("trap <mark>10.N"), and "sN.M" standing
    alone, as in "(s3.8)" ("<mark>3.8"). Words that merely contain such
    a token (s390x, test_s3_5_*.c, 1.5s) are not citations.
  * Test programs named test_s<N>_<M>_*.c name section N.M.
  * No file may point to the old out-of-tree kernel document or research
    notes (a clone has neither).
Usage: check-citations.py [SOURCE_ROOT] [--self-test]
Exit 0 when everything resolves, 1 otherwise (each failure is printed).
"""
import os
import re
import subprocess
import sys

MARK = "\u00a7"
KERNEL_DOC = "doc/kernel-model.md"
# The old out-of-tree notes; split so this file does not match itself.
FORBIDDEN = ("shared" + "/spec", "shared" + "/research")
TEXT_EXT = {".c", ".h", ".md", ".build", ".sh", ".py", ".txt", ".conf", ".ini",
            ".options", ".1", ".in", ".cfg", ".yml", ".yaml", ""}
NUM = r"\d+(?:\.\d+)*"
CITE_RE = re.compile(
    MARK + r"+(?P<first>" + NUM + r")"
    r"(?:\s*[-\u2013]\s*" + MARK + r"?(?P<last>" + NUM + r"))?"
    r"(?:\s+steps?\s+(?P<step>\d+)(?:\s*[-\u2013]\s*(?P<step_last>\d+))?)?")
DOC_BEFORE_RE = re.compile(
    r"(?:\[[^\]]*\]\((?P<link>[^)\s]+\.md)(?:#[^)]*)?\)|(?P<path>[\w./-]+\.md))"
    r"\)?,?\s*$")
TRAP_RE = re.compile(r"\btraps?\s+(?P<num>\d+(?:\.\d+)?)\b(?!\s*(?:KiB|MiB|GiB|%))",
                     re.IGNORECASE)
OLD_SECTION_RE = re.compile(r"(?<![\w./-])s(?P<num>\d+(?:\.\d+)+)\b")
TEST_NAME_RE = re.compile(r"(?:^|/)test_s(?P<num>\d+(?:_\d+)*)_[^/]*\.c$")
HEADING_RE = re.compile(r"^#{1,6}\s+(?P<num>" + NUM + r")\.?\s")
STEP_RE = re.compile(r"^\s*[-*]\s+\*\*Step\s+(?P<num>" + NUM + r")\*\*")


def tracked_files(root):
    """Files under version control, or every file when there is no git."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x != "build"]
        for n in names:
            files.append(os.path.relpath(os.path.join(d, n), root))
    return files


def anchors_of(text):
    """Section numbers defined by a Markdown document: headings and step labels."""
    found = set()
    for line in text.splitlines():
        m = HEADING_RE.match(line) or STEP_RE.match(line)
        if m:
            found.add(m.group("num"))
    return found


def targets(m):
    """The section numbers one citation match asks for."""
    first, last = m.group("first"), m.group("last")
    step, step_last = m.group("step"), m.group("step_last")
    if step:
        nums = [first + "." + step]
        if step_last:
            nums.append(first + "." + step_last)
        return nums
    nums = [first]
    if last:
        if "." not in last and "." in first:
            # "10.7-8": the end shares the prefix of the start
            last = first.rsplit(".", 1)[0] + "." + last
        nums.append(last)
    return nums


class Checker:
    def __init__(self, root):
        self.root = root
        self.docs = {}
        self.failures = []
        self.citations = 0
        self.kinds = {"mark": 0, "test name": 0}
        self.files_with_citations = set()

    def doc_anchors(self, rel):
        if rel not in self.docs:
            path = os.path.join(self.root, rel)
            if not os.path.isfile(path):
                self.docs[rel] = None
            else:
                with open(path, encoding="utf-8") as f:
                    self.docs[rel] = anchors_of(f.read())
        return self.docs[rel]

    def resolve_doc(self, citing, name):
        """Repository path of the Markdown file @name cited from @citing, or None."""
        here = os.path.dirname(citing)
        for cand in (os.path.join(here, name), name, os.path.join("doc", name)):
            norm = os.path.normpath(cand)
            if norm.startswith(".."):
                continue
            if os.path.isfile(os.path.join(self.root, norm)):
                return norm
        return None

    def fail(self, where, msg):
        self.failures.append(f"{where}: {msg}")

    def check_numbers(self, where, doc, nums, shown):
        anchors = self.doc_anchors(doc)
        if anchors is None:
            self.fail(where, f"'{shown}' cites {doc}, which does not exist")
            return
        for n in nums:
            self.citations += 1
            if n not in anchors:
                self.fail(where, f"'{shown}': {doc} has no section {n}")

    def check_line(self, rel, lineno, line):
        where = f"{rel}:{lineno}"
        if any(f in line for f in FORBIDDEN):
            self.fail(where, "refers to an out-of-tree document; "
                      f"cite {KERNEL_DOC} or another in-repo document instead")
        for m in CITE_RE.finditer(line):
            self.files_with_citations.add(rel)
            self.kinds["mark"] += 1
            doc = KERNEL_DOC
            before = DOC_BEFORE_RE.search(line[:m.start()])
            if before:
                name = before.group("link") or before.group("path")
                doc = self.resolve_doc(rel, name)
                if doc is None:
                    self.citations += 1
                    self.fail(where, f"'{m.group(0)}' cites {name}, which is not "
                              "a document of this repository")
                    continue
            self.check_numbers(where, doc, targets(m), m.group(0))
        for m in TRAP_RE.finditer(line):
            if MARK in line[max(0, m.start() - 2):m.end() + 2]:
                continue
            num = m.group("num")
            num = num if "." in num else "10." + num
            self.fail(where, f"'{m.group(0)}' is an old citation form: write "
                      f"'trap {MARK}{num}'")
        for m in OLD_SECTION_RE.finditer(line):
            self.fail(where, f"'{m.group(0)}' is an old citation form: write "
                      f"'{MARK}{m.group('num')}'")

    def run(self, files):
        for rel in files:
            m = TEST_NAME_RE.search(rel)
            if m:
                self.files_with_citations.add(rel)
                self.kinds["test name"] += 1
                self.check_numbers(rel, KERNEL_DOC, [m.group("num").replace("_", ".")],
                                   os.path.basename(rel))
            if os.path.splitext(rel)[1] not in TEXT_EXT:
                continue
            if os.path.normpath(rel) == os.path.normpath(os.path.relpath(
                    os.path.abspath(__file__), self.root)):
                continue    # this file describes the forms it checks
            path = os.path.join(self.root, rel)
            try:
                with open(path, encoding="utf-8") as f:
                    lines = f.readlines()
            except (OSError, UnicodeDecodeError):
                continue
            for i, line in enumerate(lines, 1):
                self.check_line(rel, i, line)
        return not self.failures


def self_test():
    """The rules on made-up lines: what must pass and what must fail."""
    doc = ("## 3. X\n### 3.6 Y\n- **Step 3.6.8** z\n## 10. T\n### 10.7 a\n"
           "### 10.8 b\n")
    good = ["(§3.6 step 8)", "§3.6.8", "trap §10.7-8", "traps §10.7–8",
            "§3, §10", "trap §10.7", "§N and §10.N are placeholders",
            "s390x", "test_s3_6_x.c", "took 1.5s", "lists3.6", "traps 4 KiB"]
    bad = ["§3.7", "§3.6 step 9", "§10.7-9", "trap 9", "§11", "trap 7",
           "Trap 10.8: x", "(s3.6)", "see s3.6.8", "s10.7,",
           "[guide.md](guide.md) §3", "../elsewhere/notes.md §1.1",
           "see " + FORBIDDEN[0] + "/x.md", "see " + FORBIDDEN[1] + "/y.md"]
    ok = True
    for line in good + bad:
        c = Checker("/nonexistent")
        c.docs[KERNEL_DOC] = anchors_of(doc)
        c.check_line("self-test", 1, line)
        if bool(c.failures) != (line in bad):
            print(f"self-test: '{line}' should {'fail' if line in bad else 'pass'}"
                  f" ({c.failures})")
            ok = False
    return ok


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    root = os.path.abspath(args[0] if args else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    if not self_test():
        return 1
    c = Checker(root)
    ok = c.run(tracked_files(root))
    for f in c.failures:
        print(f)
    anchors = c.doc_anchors(KERNEL_DOC) or set()
    kinds = ", ".join(f"{n} {k}" for k, n in c.kinds.items())
    print(f"{c.citations} section numbers from {kinds} citations in "
          f"{len(c.files_with_citations)} files, checked against {KERNEL_DOC} "
          f"({len(anchors)} sections and steps) and the other in-repo documents "
          f"they name: {len(c.failures)} failures")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
