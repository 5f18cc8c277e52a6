from stream.cli.main import main

main()
