# py_race_word_count_locked.py - the shared word count under a Lock: correct.
#
# The twin of py_race_word_count.py: the same two threads count the same
# words into the shared dict `counts`, each read-and-update of a count
# inside `with counts_lock:`.  Ordered by the lock: clean, and every count
# is right.
#
# concwatch-expect: clean

import sys
import threading

TEXT = ("the quick brown fox jumps over the lazy dog " * 200).split()
counts = {}
counts_lock = threading.Lock()


def count_words(words):
    for word in words:
        with counts_lock:
            counts[word] = counts.get(word, 0) + 1


def main():
    half = len(TEXT) // 2
    threads = [threading.Thread(target=count_words, args=(TEXT[:half],)),
               threading.Thread(target=count_words, args=(TEXT[half:],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("the:", counts["the"], "of", TEXT.count("the"))
    return 0 if counts["the"] == TEXT.count("the") else 1


if __name__ == "__main__":
    sys.exit(main())
