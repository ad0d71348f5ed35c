"""`python -m localcloud`."""

from localcloud.cli import exit_now, main

exit_now(main())
