from heatcases.cli import main

main()
