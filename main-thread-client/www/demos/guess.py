# Guess the number: a first program with a loop, input() and if/elif/else.
import random

print("I'm thinking of a whole number from 1 to 100. Can you guess it?")
while True:
    secret = random.randint(1, 100)
    tries = 0
    while True:
        answer = input("Your guess: ").strip()
        if not answer.isdigit():
            print("Please type a whole number, like 42.")
            continue
        guess = int(answer)
        tries += 1
        if guess < secret:
            print("Too low.")
        elif guess > secret:
            print("Too high.")
        else:
            print(f"Yes! It was {secret}. You needed {tries} {'try' if tries == 1 else 'tries'}.")
            break
    if input("Play again? (y/n) ").strip().lower() not in ("y", "yes"):
        print("Thanks for playing!")
        break
    print("New round: I've picked another number.")
