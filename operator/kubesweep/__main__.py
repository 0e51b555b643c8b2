"""``python -m kubesweep`` runs the command line."""

from kubesweep.cli import main

raise SystemExit(main())
