"""DynamoDB adapter for the storage ports: one table, single-table design, boto3 client injected.

The modules mirror ``core.ports.store``: ``trading``, ``market``, ``messaging``, ``platform`` and ``unit`` (the
store, its unit of work and ``open_dynamodb_store``), on the shared machinery of ``table`` (item layout, calls,
conditional writes, the unit's write buffer, ``create_table``) and ``changelog`` (the alert and order change
logs). The keys and access patterns of every entity are listed below (the messenger channels' in ``messaging``).
"""

# Access patterns. Times in keys are fixed-width UTC text, so lexical order is chronological order.
#
#   entity       PK                 SK                 GSI1PK / GSI1SK                      GSI2PK / GSI2SK
#   Account      ACCOUNT#<id>       PROFILE            ACCOUNTS / <id>
#   Order        ORDER#<id>         ORDER              ACCOUNT#<acct>#ORDERS / <created>#<id>
#                                                      open only: GSI2PK OPEN#<symbol>, GSI2SK <created>#<id>
#   Fill         FILL#<id>          FILL               ACCOUNT#<acct>#FILLS / <time>#<id>
#   Position     ACCOUNT#<acct>     POSITION#<symbol>
#   RiskBook     ACCOUNT#<acct>     BOOK
#   Quote        QUOTE#<symbol>     LATEST             (quote_time: the stored quote's time)
#   SessionClose QUOTE#<symbol>     CLOSE              (close_at: the latest recorded close)
#   Audit        AUDIT#<id>         AUDIT              ACCOUNT#<acct>#AUDIT / <time>#<id>
#   Idempotency  IDEMPOTENCY#<key>  RECORD             (expires_at: epoch seconds, the table's TTL attribute)
#   Settings     SYSTEM             SETTINGS
#   Alert        ALERT#<id>         ALERT              ACCOUNT#<acct>#ALERTS / <created>#<id>
#                                                      active only: GSI2PK ACTIVE_ALERTS#<symbol>, GSI2SK as GSI1SK
#   ChatTurn     CONVERSATION#<acct>#<thread> / SK <time>#<id>   (expires_at: epoch seconds, the TTL attribute)
#   AlertChange  ALERT_CHANGES      <seq, 12 digits>   (expires_at: a day on); the head ALERT_CHANGES / #HEAD
#                                                      holds the last seq as its version
#   OrderChange  ORDER_CHANGES#<symbol> <seq, 12 digits> as AlertChange, one log per symbol, each with its own
#                                                      head ORDER_CHANGES#<symbol> / #HEAD
#   Notification NOTIFICATION#<id>  NOTIFICATION       ACCOUNT#<acct>#NOTIFICATIONS / <created>#<id>
#                                                      unsent only: GSI2PK OUTBOX, GSI2SK <created>#<id>
#   SignalSource SIGNAL_SOURCE#<id> SOURCE             ACCOUNT#<acct>#SIGNAL_SOURCES / <created>#<id>
#   TurnId       TURN#<id>          TURN               (expires_at: its turn's, so the id stays taken as long)
#
#   In CONVERSATION keys the account and thread are written with '%' as %25 and '#' as %23, so a '#' inside
#   a thread ("telegram:1#2") can never make two (account, thread) pairs share a partition.
#
#   accounts.get/add/update      get/put by key; list: query GSI1 ACCOUNTS ascending
#   orders.get/add/update        get/put by key; list_for_account: query GSI1 descending, ``since`` as
#                                GSI1SK >= <since>, ``open_only`` as the filter attribute_exists(GSI2PK)
#   orders.list_open_for_symbol  query GSI2 OPEN#<symbol> ascending: a sparse index, because the GSI2 keys
#                                are written only while the order is accepted or partially_filled
#   orders.log_change/changes_since
#                                as alerts.log_change and alerts.changes_since, in the order's symbol's
#                                partition ORDER_CHANGES#<symbol>: order writes on different symbols touch
#                                disjoint heads, so they never conflict (one log head for all would make
#                                every two concurrent order writes on the platform contend)
#   fills.add/list_for_account   put keyed by fill id if absent (AlreadyExists), so one id is written once;
#                                query GSI1 ascending
#   positions.get/save/list      get/put by key; list: query the partition PK = ACCOUNT#<acct> (profile, book
#                                and positions; the positions kept), which a unit remembers whole
#   books.get/save               ACCOUNT#<acct> / BOOK, versioned like the profile
#   quotes.put/get/get_many      put only if absent or older (quote_time < new); get; batch_get_item in
#                                chunks of 100 keys, asking again for UnprocessedKeys
#   quotes.put_close/get_closes  QUOTE#<symbol> / CLOSE, put only if absent or an earlier close (close_at <
#                                new); batch_get_item like get_many
#   prices_and_settings          one batch_get_item: the quote and close keys and SYSTEM/SETTINGS together (in
#                                a unit that saved settings, its own settings and one batch_get_item of prices)
#   audit.append/list            put keyed by record id if absent (AlreadyExists); query GSI1 ascending
#   idempotency.claim/complete   put if absent or expired (expires_at <= now); release deletes
#   settings.get/save            get/put SYSTEM/SETTINGS
#   alerts.get/add/update        get/put by key; delete is conditional on attribute_exists(PK) (NotFound);
#                                list_for_account: query GSI1 descending
#   alerts.list_active_for_symbol
#                                query GSI2 ACTIVE_ALERTS#<symbol> ascending: sparse like open orders, the
#                                GSI2 keys are written only while the alert is active
#   alerts.log_change            read the head (in the unit), then put head version+1 (conditional on the
#                                version read) and create the entry, in the unit's transaction: numbers
#                                are taken in commit order with no gaps; a racing writer's commit fails
#   alerts.changes_since         query PK = ALERT_CHANGES AND SK > <cursor> (strongly consistent)
#   notifications.add/get/list   create if absent (AlreadyExists); list_for_account: query GSI1 descending;
#                                list_unsent: query GSI2 OUTBOX ascending (sparse: the keys go when sent)
#   notifications.mark_sent      put the item again without its GSI2 keys, only if it exists
#   quotes.put in a unit         a conditional put (quote_time < new) that waits for the unit's commit, so a
#                                quote and what it caused commit together; a stale quote fails the commit
#   conversations.append         one transaction puts the turn and its TurnId marker, each only if absent,
#                                so a turn id is stored once even if a retry gives it another time
#   conversations.append_many    one transaction for up to 50 turns and their markers; if a turn id is taken
#                                the transaction is refused whole, and the turns are appended one by one
#   conversations.recent         query the thread's partition descending with Limit and the filter
#                                expires_at > now; Limit counts items before the filter, so pages are read
#                                until ``limit`` live turns are found or the partition ends; then reversed
#
#   unit of work                 get by key sees the unit's own writes; queries read the table. Writes wait
#                                in the unit, one per key, each with its condition; a second write to a key
#                                replaces the first under the first one's condition (add then update: one
#                                conditional create of the result). commit() sends them as one
#                                transact_write_items (a single write as one conditional put/delete). A
#                                refused condition cancels them all; its CancellationReasons entry names the
#                                write, whose domain error is raised. More than 100 writes (the transaction
#                                limit) raise StoreError at commit before anything is sent. A quote put
#                                through a unit joins it (see quotes.put in a unit below).
#
# Every create is conditional on attribute_not_exists(PK) and every versioned write on the stored version,
# so a retried request never writes twice or over a newer record. Base-table reads are strongly consistent;
# GSI reads are eventually consistent in AWS.

from infra.stores.dynamodb.table import create_table
from infra.stores.dynamodb.unit import DynamoStore, DynamoUnitOfWork, open_dynamodb_store

__all__ = ["DynamoStore", "DynamoUnitOfWork", "create_table", "open_dynamodb_store"]
