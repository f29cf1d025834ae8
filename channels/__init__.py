"""The messenger channels, one package per provider with the same three modules in each (as Nautilus lays out
venues): ``inbound`` (verify the provider's signature or secret, read a request into the core's Inbound),
``sender`` (the core's Sender port: render and send) and ``policy`` (the core's ChannelPolicy port: keywords,
opt-out, windows, limits). telegram/ (Telegram), twilio/ (SMS and WhatsApp), sendgrid/ (email), outbox/ (the
local platform's stand-in for every provider). A provider's SDK is imported only by its sender (and, lazily, its
inbound check), so a webhook loads only its own provider."""
