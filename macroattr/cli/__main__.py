from macroattr.cli import main

main()
