"""The ``rnnlm`` command: parse options, call the library, print results.

Results go to stdout, progress and messages to stderr.  Every user error is
one line on stderr and a non-zero exit status.
"""
from __future__ import annotations

import os
import signal
import sys

import click

from . import collector
from .cli_convert import convert
from .cli_eval import eval_command
from .cli_lattice import lattice_rescore
from .cli_nbest import nbest_rescore
from .cli_ngram import ngram_approx, ngram_count, ngram_mix, ngram_prune
from .cli_sample import sample
from .cli_train import train
from .errors import RnnlmError
from .version import __version__

class RnnlmGroup(click.Group):
    """Turns every user error into one stderr line and an exit status."""

    def main(self, args=None, prog_name="rnnlm", **kwargs):
        # One BLAS thread per worker: our own -threads decide the parallelism.
        # (Effective here because numpy is first imported by the commands.)
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        if hasattr(signal, "SIGPIPE"):
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        if args is None:
            args = sys.argv[1:]
        if not (args and args[0].startswith("ngram-")):     # these load no RNN model
            collector.pause()                               # until the model is loaded
        try:
            return self._dispatch(list(args), prog_name, **kwargs)
        finally:
            collector.resume()

    def _dispatch(self, args, prog_name, **kwargs):
        try:
            from . import cli_dropin
            if cli_dropin.is_dropin(args, self.commands):
                return cli_dropin.run(list(args))
            return super().main(args, prog_name=prog_name, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else prog_name
            click.echo(f"{command}: error: {exc.format_message()} "
                       f"(see '{command} --help')", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"{prog_name}: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo(f"{prog_name}: interrupted", err=True)
            sys.exit(130)
        except RnnlmError as exc:
            click.echo(f"{prog_name}: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"{prog_name}: interrupted", err=True)
            sys.exit(130)
        except UnicodeEncodeError as exc:
            click.echo(f"{prog_name}: error: cannot write {exc.object[exc.start:exc.end]!r} "
                       f"in {exc.encoding} (see --encoding, --errors replace)", err=True)
            sys.exit(1)


@click.group(cls=RnnlmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="rnnlm")
def main():
    """Recurrent neural network language models (RNNME) for ASR and MT pipelines.

    Options take rnnlm/SRILM spelling (-hidden 100) or GNU spelling (--hidden 100).
    Called without a subcommand and with rnnlm 0.4b's options (rnnlm -rnnlm M -test T ...)
    it behaves as rnnlm 0.4b does (see rnnlm(1), DROP-IN MODE).
    """


main.add_command(train)
main.add_command(eval_command)
main.add_command(sample)
main.add_command(ngram_count)
main.add_command(ngram_prune)
main.add_command(ngram_mix)
main.add_command(ngram_approx)
main.add_command(nbest_rescore)
main.add_command(lattice_rescore)
main.add_command(convert)
