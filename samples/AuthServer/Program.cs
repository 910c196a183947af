using System;
using System.Threading;
using BuildSecrets.Samples;

// Usage: dotnet run --project samples/AuthServer -- [port] [user] [password]
// Serves the tutorial's message on http://127.0.0.1:<port>/ until Ctrl+C or SIGTERM.
var port = args.Length > 0 ? int.Parse(args[0]) : 8080;
var user = args.Length > 1 ? args[1] : "admin";
var password = args.Length > 2 ? args[2] : "password";

using var server = new BasicAuthServer(user, password, port);
Console.WriteLine($"Listening on {server.Url} (basic auth as '{user}' gets \"Hello, Admin\", anyone else \"Hello, guest\").");

using var stopped = new ManualResetEventSlim();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stopped.Set(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stopped.Set();
stopped.Wait();
