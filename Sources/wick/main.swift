import WickCLI

WickCommand.main()
