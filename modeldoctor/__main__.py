from modeldoctor.cli import main

main()
