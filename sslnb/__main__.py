import sys

from sslnb.cli import main

sys.exit(main())
