// Contoso.Greetings comes from the private feed, restored inside the image build.
Console.WriteLine(Contoso.Greetings.Greeting.Text);
