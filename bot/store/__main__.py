from bot.store.cli import main

raise SystemExit(main())
