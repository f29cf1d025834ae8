"""Stream consumers: Kinesis (kinesis.py) and MSK (msk.py), on one batch path (batch.py, consumer.py)."""
