from mutiroes.cli import main

main()
