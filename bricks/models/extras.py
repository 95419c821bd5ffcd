"""What to install for the model backends, said the same way by every message that needs it."""

# Without a GPU the CPU build of torch goes first: the default wheel is the CUDA build, several GB.
INSTALL_HINT = ("pip install 'lego-edit[models]' (no GPU? first: pip install torch "
                "--index-url https://download.pytorch.org/whl/cpu)")
