"""jieba's exact segmentation without the HMM, cut in compiled code.

`Segmenter.cut` gives the same words as `jieba.Tokenizer.lcut(text, HMM=False)`
for the same dictionaries. It hands the cutting to jieba-rs (the `rjieba`
binding), which builds the same prefix DAG, takes the same best route by
summed log frequency with the same tie-break (the longer word) and handles
letters, digits and other characters the same way, in a fraction of the time
the same cut takes in Python.

The words and frequencies come from the loaded jieba tokenizer, so the
children's dictionary counts as it does in jieba. One thing jieba does
differently: a user word that is already in its dictionary replaces the
word's frequency but is added to the total again. The total enters every
word's log probability, so a filler entry makes up the difference; it is made
of private-use characters, which never stand in a block that is cut into
words. tests/test_segment.py checks the two agree.
"""

import rjieba

#: never part of a block jieba cuts into words (those are Chinese, letters,
#: digits and + # & . _ % -)
_FILLER = "\ue000\ue001"


class Segmenter:
    """Cut text the way a loaded jieba tokenizer does with HMM=False."""

    def __init__(self, tokenizer):
        tokenizer.check_initialized()
        self._jieba = rjieba.Jieba.empty()
        counted = 0
        for word, freq in tokenizer.FREQ.items():
            # a prefix of a word that is no word itself has the frequency 0
            if freq:
                self._jieba.add_word(word, freq, None)
                counted += freq
        if tokenizer.total > counted:
            self._jieba.add_word(_FILLER, tokenizer.total - counted, None)

    def cut(self, sentence: str) -> list[str]:
        """Return the words of sentence, as jieba's lcut(HMM=False) would."""
        return self._jieba.cut(sentence, False)
