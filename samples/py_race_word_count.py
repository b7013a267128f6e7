# py_race_word_count.py - two threads count words into one shared dict.
#
# The text is split in two halves and a thread counts each half into the
# global dict `counts` with `counts[word] = counts.get(word, 0) + 1`: a
# read of the word's count (get), then a write (the item assignment).  Both
# halves hold the same words, so the two threads read and write the same
# keys with nothing ordering them: a count can be lost between the read and
# the write.  One bug at one place: one finding for the dict, naming a word
# and both threads' lines (the other words race there too).
#
# Correct twin: py_race_word_count_locked.py.
#
# concwatch-expect: data-race=1
# concwatch-expect-text: item '[a-z]+' of dict 'counts'
# concwatch-expect-text: \bcount_words [^ ]*py_race_word_count\.py:@line(count)\b

import sys
import threading

TEXT = ("the quick brown fox jumps over the lazy dog " * 200).split()
counts = {}


def count_words(words):
    for word in words:
        counts[word] = counts.get(word, 0) + 1  # @count


def main():
    half = len(TEXT) // 2
    threads = [threading.Thread(target=count_words, args=(TEXT[:half],)),
               threading.Thread(target=count_words, args=(TEXT[half:],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("the:", counts["the"], "of", TEXT.count("the"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
