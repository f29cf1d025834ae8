"""Words for people, made in one place: the number formatters (``formats``), notifications per kind and
channel (``notifications``), the messenger texts around a conversation (``messenger``), and the GSM-7 alphabet
SMS is kept to (``gsm``). Core stores data; text is made here from it."""
