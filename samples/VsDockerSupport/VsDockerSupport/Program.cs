// Prints the message the image build downloaded from the private server with the netrc secret.
var message = Path.Combine(AppContext.BaseDirectory, "message.txt");
Console.Write(File.Exists(message) ? File.ReadAllText(message) : "message.txt is missing\n");
