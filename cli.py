"""The command line's one convention: a refused flag is one line on stderr, not argparse's usage.

    ap = cli.Parser(description="...")     # argparse.ArgumentParser in every other way
    $ python train.py --grad-clip nan
    train.py: error: --grad-clip nan: out of range

argparse prints a script's whole usage before its error: 47 lines for train.py, whose last line,
the one that says what is wrong, scrolls under the list of every flag. Every script here (and its
subcommands: add_subparsers builds them with the parser's own class) refuses in the one line, with
argparse's exit status 2; `--help` prints the usage and every flag as before.

Deviations from the paper and the official release: none (a console matter).
"""
import argparse


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")
