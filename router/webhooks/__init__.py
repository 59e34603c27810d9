"""Webhooks: task events POSTed to the configured endpoints, signed, stored and retried.

- :mod:`~router.webhooks.signing` — the Standard Webhooks signature OpenAI uses
  (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``);
- :mod:`~router.webhooks.events` — the event a finished task stands for (``video.completed``, …);
- :mod:`~router.webhooks.deliveries` — the ``webhook_deliveries`` table: one row per event and
  endpoint, with its retry state;
- :mod:`~router.webhooks.dispatcher` — the app-owned worker: the task engine tells it when a task
  ends; it stores the deliveries, sends them and retries failures with backoff (also after a restart).
"""
