"""The triage web app: review the queue, decide, add by URL, export the monthly bulletin."""
