from kumolint.cli import main

raise SystemExit(main())
