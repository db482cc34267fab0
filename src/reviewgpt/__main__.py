from reviewgpt.cli import main

main()
