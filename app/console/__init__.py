"""The officers' console (issue 19): server-rendered pages in Simplified Chinese over the
service's own API. Every read and write goes through the API in process, with the signed-in
person's token: the same roles, region scope, rules and refusals; the console has no business
logic of its own."""
