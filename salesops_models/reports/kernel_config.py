"""IPython kernel configuration the Makefile installs as ``.venv/etc/ipython/ipython_kernel_config.py``
(IPython reads ``<sys.prefix>/etc/ipython`` for every kernel of the environment).

It hides one notice a user cannot act on: ipykernel 7 logs "Kernel is running over TCP without
encryption" whenever a notebook runner (papermill, nbval, mkdocs-jupyter) starts a local kernel
on the loopback interface, which is how every one of them works. Every other kernel message
(warnings and errors included) is kept.
"""

import logging


class _LoopbackTcpNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "running over TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_LoopbackTcpNotice())
