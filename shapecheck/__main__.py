"""The `shapecheck` command's process (also `python -m shapecheck ...`).

Its start-up imports numpy, rich, lark and shapecheck: tens of thousands of objects that
live until the process ends. The cyclic garbage collector would scan them over and over
while they are made and find nothing to free (a twentieth of a start-up), so it is paused
while they are imported; they are then set aside (`gc.freeze`) and collection goes on for
the check itself. A library user's process is left as it is: only the command does this.

The command also runs BLAS on one thread (unless the user says otherwise), set before numpy
loads: a check runs its batches of perturbations on a thread per core
(numeric.differences), and BLAS threads spinning beside them on the same cores cost far
more than its few large products gain.
"""
import gc
import os


def main() -> None:
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(threads, "1")
    gc.disable()
    from .cli import main as run  # imported here: the pause must come before the imports
    gc.freeze()
    gc.enable()
    run()


if __name__ == "__main__":
    main()
