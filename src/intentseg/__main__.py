from intentseg.cli import main

main()
