from balie.cli import main

main()
