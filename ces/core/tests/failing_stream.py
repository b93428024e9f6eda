"""A WSGI app for test_gunicorn.py: two pieces of a body, then the error a broken report query raises."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8")])

    def body():
        yield b"Number\r\n1\r\n"
        yield b"2\r\n"
        raise RuntimeError("the database went away mid-stream")

    return body()
