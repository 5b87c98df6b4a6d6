import sys

from bot.orders.cli import main

sys.exit(main())
