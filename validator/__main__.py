from validator.cli.program import main

raise SystemExit(main())
